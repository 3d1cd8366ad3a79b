/* Turn the query textarea into the YASQE editor when its script can be fetched from the CDN.
   Offline, or if anything fails, the plain textarea stays and the page works the same. */
(function () {
  "use strict";
  var CDN = "https://cdn.jsdelivr.net/npm/@zazuko/yasqe@4/build/";
  var textarea = document.getElementById("query-text");
  if (!textarea) return;

  function enhance() {
    try {
      var Yasqe = window.Yasqe;
      if (!Yasqe || !Yasqe.fromTextArea) return;
      var editor = Yasqe.fromTextArea(textarea, { persistenceId: null, showQueryButton: false, resizeable: true });
      var form = textarea.form;
      if (form) form.addEventListener("submit", function () { textarea.value = editor.getValue(); });
    } catch (e) {
      /* keep the textarea */
    }
  }

  var css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = CDN + "yasqe.min.css";
  document.head.appendChild(css);
  var script = document.createElement("script");
  script.src = CDN + "yasqe.min.js";
  script.async = true;
  script.onload = enhance;
  document.head.appendChild(script);
})();
