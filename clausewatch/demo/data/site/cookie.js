(function () {
  var banner = document.getElementById("cookie-consent");
  banner.querySelectorAll("button").forEach(function (button) {
    button.addEventListener("click", function () { banner.hidden = true; });
  });
})();
