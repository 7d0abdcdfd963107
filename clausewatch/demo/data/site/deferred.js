(function () {
  function inline(node, segments) {
    segments.forEach(function (seg) {
      if (seg.href) {
        var a = document.createElement("a");
        a.href = seg.href;
        a.textContent = seg.text;
        node.appendChild(a);
      } else {
        node.appendChild(document.createTextNode(seg.text));
      }
    });
    return node;
  }
  function el(tag, segments) {
    return inline(document.createElement(tag), segments);
  }
  function row(cells, tag) {
    var tr = document.createElement("tr");
    cells.forEach(function (cell) { tr.appendChild(el(tag, [{text: cell}])); });
    return tr;
  }
  function table(b) {
    var t = document.createElement("table");
    var head = t.appendChild(document.createElement("thead"));
    head.appendChild(row(b.header, "th"));
    var body = t.appendChild(document.createElement("tbody"));
    b.rows.forEach(function (r) { body.appendChild(row(r, "td")); });
    return t;
  }
  function block(b) {
    if (b.type === "p") { return el("p", b.segments); }
    if (b.type === "h3") { return el("h3", [{text: b.text}]); }
    if (b.type === "table") { return table(b); }
    var ul = document.createElement("ul");
    b.items.forEach(function (item) { ul.appendChild(el("li", item)); });
    return ul;
  }
  function build(data) {
    var section = document.createElement("section");
    section.id = data.id;
    section.className = "policy-section";
    section.appendChild(el("h2", [{text: data.heading}]));
    data.blocks.forEach(function (b) { section.appendChild(block(b)); });
    return section;
  }
  document.addEventListener("DOMContentLoaded", function () {
    setTimeout(function () {
      var source = document.getElementById("deferred-policy-data");
      var data = JSON.parse(source.textContent);
      var article = document.querySelector("main article");
      var anchor = document.getElementById(data.insert_before);
      article.insertBefore(build(data.section), anchor);
    }, 300);
  });
})();
