/* Zoom and pan for the explorer's drawing. Without this script the drawing is shown at its own size in a
   box that scrolls, and every resource is still a link; with it, buttons (and Ctrl + wheel) zoom and a drag
   on the background pans. */
(function () {
  "use strict";

  function enhance(box) {
    var svg = box.querySelector("svg");
    if (!svg) return;
    var width = parseFloat(svg.getAttribute("width")), height = parseFloat(svg.getAttribute("height"));
    if (!width || !height) return;
    var scale = 1;

    function apply(next, cx, cy) {
      next = Math.max(0.3, Math.min(3, next));
      // Keep the point under (cx, cy) of the box where it is while the drawing grows or shrinks.
      var px = (box.scrollLeft + cx) / scale, py = (box.scrollTop + cy) / scale;
      scale = next;
      svg.setAttribute("width", String(Math.round(width * scale)));
      svg.setAttribute("height", String(Math.round(height * scale)));
      box.scrollLeft = px * scale - cx;
      box.scrollTop = py * scale - cy;
      status.textContent = Math.round(scale * 100) + "%";
    }

    var bar = document.createElement("div");
    bar.className = "zoom-bar";
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("aria-label", "Zoom the drawing");
    function button(text, label, act) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = text;
      if (label) b.setAttribute("aria-label", label);
      b.addEventListener("click", act);
      bar.appendChild(b);
      return b;
    }
    button("+", "Zoom in", function () { apply(scale * 1.25, box.clientWidth / 2, box.clientHeight / 2); });
    button("−", "Zoom out", function () { apply(scale / 1.25, box.clientWidth / 2, box.clientHeight / 2); });
    button("Fit", "Fit the drawing to the width", function () { apply(box.clientWidth / width, 0, 0); });
    button("Actual size", "", function () { apply(1, 0, 0); });
    var status = document.createElement("span");
    status.className = "zoom-level";
    status.setAttribute("aria-live", "polite");
    status.textContent = "100%";
    bar.appendChild(status);
    box.parentNode.insertBefore(bar, box);

    box.addEventListener("wheel", function (event) {
      if (!event.ctrlKey && !event.metaKey) return;  /* a plain wheel scrolls the page, as everywhere */
      event.preventDefault();
      var rect = box.getBoundingClientRect();
      apply(scale * (event.deltaY < 0 ? 1.1 : 1 / 1.1), event.clientX - rect.left, event.clientY - rect.top);
    }, { passive: false });

    var drag = null;
    box.addEventListener("pointerdown", function (event) {
      if (event.button !== 0 || (event.target.closest && event.target.closest("a"))) return;
      drag = { x: event.clientX, y: event.clientY, left: box.scrollLeft, top: box.scrollTop };
      box.setPointerCapture(event.pointerId);
      box.classList.add("dragging");
    });
    box.addEventListener("pointermove", function (event) {
      if (!drag) return;
      box.scrollLeft = drag.left - (event.clientX - drag.x);
      box.scrollTop = drag.top - (event.clientY - drag.y);
    });
    function stop() { drag = null; box.classList.remove("dragging"); }
    box.addEventListener("pointerup", stop);
    box.addEventListener("pointercancel", stop);
  }

  function start() {
    var boxes = document.querySelectorAll("[data-zoomable]");
    for (var i = 0; i < boxes.length; i++) enhance(boxes[i]);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
