// Bulk-import forms: a file over the page's size limit is refused here, before it is sent, so the form and
// the page stay as they are (the server refuses it too). No libraries.
(function () {
  "use strict";
  function check(input) {
    var max = parseInt(input.getAttribute("data-max-bytes"), 10);
    var file = input.files && input.files[0];
    var box = input.form.querySelector(".upload-size-error");
    var text = "";
    if (file && max && file.size > max) {
      text = file.name + "：文件超过上传大小上限 " + input.getAttribute("data-max-label") + "，请拆分成多个文件分批导入";
    }
    input.setCustomValidity(text);
    if (box) { box.textContent = text; box.hidden = !text; }
    return !text;
  }
  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    input.addEventListener("change", function () { check(input); });
    input.form.addEventListener("submit", function (e) { if (!check(input)) { e.preventDefault(); } });
  });
})();
