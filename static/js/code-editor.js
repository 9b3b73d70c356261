// Turns the solution textarea into a CodeMirror editor; without JS the textarea still works.
document.addEventListener("DOMContentLoaded", function () {
  var area = document.querySelector("textarea.code-input");
  if (!area || !window.CodeMirror) return;
  var editor = CodeMirror.fromTextArea(area, {
    mode: "python", lineNumbers: true, indentUnit: 4, tabSize: 4,
    extraKeys: { Tab: function (cm) { cm.replaceSelection("    "); } },
  });
  area.form.addEventListener("submit", function () { editor.save(); });
  window.solutionEditor = editor;  // browser tests set the code through it
});
