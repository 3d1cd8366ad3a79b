/* Put the YASQE editor in place of the query textarea. The editor is served by the app itself
   (static/vendor/yasqe/, written by scripts/vendor-yasqe). If its script is missing or fails, the plain
   textarea stays and the page works the same: the form always sends the textarea. */
(function () {
  "use strict";
  var textarea = document.getElementById("query-text");
  var Yasqe = window.Yasqe;
  if (!textarea || !textarea.form || typeof Yasqe !== "function") return;
  var form = textarea.form;
  var OFFLINE_COMPLETERS = ["variables", "prefixes"];

  function run() {
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  try {
    var holder = document.createElement("div");
    holder.className = "query-editor";
    textarea.parentNode.insertBefore(holder, textarea.nextSibling);
    var editor = new Yasqe(holder, {
      value: textarea.value,
      persistenceId: null,
      showQueryButton: false,
      resizeable: true,
      createShareableLink: null,
      consumeShareLink: null,
      // Ctrl+Enter runs the query here, through the page's form, never from the editor to another endpoint.
      extraKeys: { "Ctrl-Enter": run, "Cmd-Enter": run }
    });
    // Only completers that need no network: the class and property ones ask Linked Open Vocabularies,
    // and the app runs offline under a Content-Security-Policy that allows no such request. (A list in
    // the options would be merged into the default list item by item, not replace it.)
    editor.config.autocompleters.slice().forEach(function (name) {
      if (OFFLINE_COMPLETERS.indexOf(name) < 0) editor.disableCompleter(name);
    });
    textarea.hidden = true;
    var label = form.querySelector("label[for=query-text]");
    var input = editor.getInputField && editor.getInputField();
    if (label && input) { input.id = "query-text-editor"; label.htmlFor = input.id; }
    form.addEventListener("submit", function () { textarea.value = editor.getValue(); });
  } catch (e) {
    textarea.hidden = false; /* keep the textarea */
  }
})();
