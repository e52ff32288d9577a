/* ARIA fixes for Dash 4's own date picker and dropdown, which axe-core reports as serious or
   critical; each is applied again whenever React redraws the element.

   - The date picker's wrapper is a <div> with aria-expanded, an attribute a div may not have (and it
     holds the two date inputs, so it cannot be a button): the attribute goes.
   - Its clear "button" is a <span> with aria-label and no role: it gets role=button.
   - A dropdown's keyboard focus target is an <input> hidden from screen readers yet focusable, so a
     keyboard user lands on nothing: it is shown to them, named by the dropdown's own label. */
(function () {
  function fix(root) {
    root.querySelectorAll(".dash-datepicker-input-wrapper[aria-expanded]").forEach(function (el) {
      el.removeAttribute("aria-expanded");
    });
    root.querySelectorAll(".dash-datepicker-clear[aria-label]:not([role])").forEach(function (el) {
      el.setAttribute("role", "button");
    });
    root.querySelectorAll(".dash-dropdown-focus-target[aria-hidden='true']").forEach(function (el) {
      var button = el.parentElement && el.parentElement.querySelector("[aria-labelledby]");
      el.removeAttribute("aria-hidden");
      if (button) {
        el.setAttribute("aria-labelledby", button.getAttribute("aria-labelledby"));
      }
    });
  }
  var pending = false;
  new MutationObserver(function () {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () {
      pending = false;
      fix(document);
    });
  }).observe(document.documentElement, { childList: true, subtree: true, attributes: true, attributeFilter: ["aria-hidden", "aria-expanded"] });
  fix(document);
})();
