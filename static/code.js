// feedback-widget: the Copy button on highlighted code blocks, on the widget and the console.
(function () {
  "use strict";

  // The page's words in its language (templates/partials/_script_words.html).
  function word(name) {
    var words = JSON.parse(document.body.getAttribute("data-words") || "{}");
    return words[name] || "";
  }

  function copied(button, ok) {
    button.textContent = word(ok ? "copied" : "copyFailed");
    if (ok) button.setAttribute("data-copied", ""); else button.removeAttribute("data-copied");
    window.setTimeout(function () {
      button.textContent = word("copy");
      button.removeAttribute("data-copied");
    }, 2000);
  }

  // Without the clipboard API (a plain-http page, a frame not allowed clipboard-write), copy
  // the selection instead; if even that is refused the code stays selected for Ctrl+C.
  function fallbackCopy(button, code) {
    var range = document.createRange();
    range.selectNodeContents(code);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    if (ok) selection.removeAllRanges();
    copied(button, ok);
  }

  function copyCode(button) {
    var block = button.closest(".code-block");
    var code = block && block.querySelector("pre");
    if (!code) return;
    var text = code.textContent;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { copied(button, true); }, function () { fallbackCopy(button, code); });
    } else {
      fallbackCopy(button, code);
    }
  }

  document.addEventListener("click", function (event) {
    var copy = event.target.closest("[data-copy]");
    if (copy) copyCode(copy);
  });
})();
