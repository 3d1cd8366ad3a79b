/* The query editor: Ctrl+Enter (or Cmd+Enter) runs the query. The editor is a plain textarea, so it works the
   same without this script; Tab is left to move on, as everywhere else on the page. */
(function () {
  "use strict";
  var textarea = document.getElementById("query-text");
  if (!textarea || !textarea.form) return;
  textarea.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      textarea.form.submit();
    }
  });
})();
