(function () {
  var clock = document.getElementById("site-clock");
  setInterval(function () {
    clock.textContent = new Date().toISOString().slice(11, 19) + " UTC";
  }, 1000);
})();
