/* Autocomplete for every input[data-autocomplete]: the ARIA 1.2 combobox pattern over /api/search.
   Without this script the inputs are plain form fields and every page still works. */
(function () {
  "use strict";
  var counter = 0;

  function enhance(input) {
    var id = "ac-" + (++counter);
    var wrap = document.createElement("span");
    wrap.className = "ac-wrap";
    input.parentNode.insertBefore(wrap, input);
    wrap.appendChild(input);
    var list = document.createElement("ul");
    list.id = id + "-list";
    list.className = "ac-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Suggestions");
    list.hidden = true;
    wrap.appendChild(list);
    var status = document.createElement("span");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    wrap.appendChild(status);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);

    var items = [], active = -1, timer = null, seq = 0;
    var pick = input.getAttribute("data-pick") || "fill";

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(i) {
      var nodes = list.children;
      for (var k = 0; k < nodes.length; k++) nodes[k].setAttribute("aria-selected", k === i ? "true" : "false");
      active = i;
      if (i >= 0 && nodes[i]) {
        input.setAttribute("aria-activedescendant", nodes[i].id);
        nodes[i].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(i) {
      var item = items[i];
      if (!item) return;
      close();
      if (pick === "navigate" && item.url) {
        window.location.href = item.url;
      } else if (pick === "navigate") {
        input.value = item.label;
        if (input.form) input.form.submit();
      } else {
        input.value = item.label;
        input.setAttribute("data-iri", item.iri);
      }
    }

    function render(found) {
      items = found;
      list.textContent = "";
      found.forEach(function (item, i) {
        var li = document.createElement("li");
        li.id = id + "-opt-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.textContent = item.label;  /* textContent: labels from the data are never parsed as HTML */
        if (item.type) {
          var small = document.createElement("small");
          small.textContent = item.type;
          li.appendChild(small);
        }
        li.addEventListener("mousedown", function (event) { event.preventDefault(); choose(i); });
        list.appendChild(li);
      });
      list.hidden = found.length === 0;
      input.setAttribute("aria-expanded", found.length ? "true" : "false");
      status.textContent = found.length ? found.length + " suggestions; use the arrow keys" : "No suggestions";
      active = -1;
    }

    function lookup() {
      var q = input.value.trim();
      if (q.length < 2) { render([]); return; }
      var mine = ++seq;
      var url = input.getAttribute("data-autocomplete") + "?limit=8&q=" + encodeURIComponent(q);
      var cls = input.getAttribute("data-class");
      if (cls) url += "&class=" + encodeURIComponent(cls);
      fetch(url, { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (found) { if (mine === seq && document.activeElement === input) render(found || []); })
        .catch(function () { render([]); });
    }

    input.addEventListener("input", function () {
      input.removeAttribute("data-iri");
      clearTimeout(timer);
      timer = setTimeout(lookup, 120);
    });
    input.addEventListener("keydown", function (event) {
      var open = !list.hidden && items.length > 0;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open) { lookup(); return; }
        highlight((active + 1) % items.length);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (open) highlight(active <= 0 ? items.length - 1 : active - 1);
      } else if (event.key === "Enter") {
        if (open && active >= 0) { event.preventDefault(); choose(active); }
      } else if (event.key === "Escape") {
        if (open) { event.preventDefault(); close(); }
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  /* A Copy button on each citation block, where the clipboard can be written. */
  function copyButtons() {
    if (!navigator.clipboard) return;
    var blocks = document.querySelectorAll("pre.copyable");
    for (var i = 0; i < blocks.length; i++) {
      (function (pre) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "copy";
        button.textContent = "Copy " + (pre.getAttribute("aria-label") || "");
        button.addEventListener("click", function () {
          navigator.clipboard.writeText(pre.textContent).then(function () {
            button.textContent = "Copied";
          }, function () { button.textContent = "Select the text to copy it"; });
        });
        pre.parentNode.insertBefore(button, pre);
      })(blocks[i]);
    }
  }

  function start() {
    copyButtons();
    if (!window.fetch) return;
    var inputs = document.querySelectorAll("input[data-autocomplete]");
    for (var i = 0; i < inputs.length; i++) enhance(inputs[i]);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
