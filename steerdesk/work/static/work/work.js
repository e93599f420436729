// Work pages: a progress-report form answered with 400 (errors), 409 (someone else reported first) or 413 (files
// too large) carries the form to show again; htmx 2 does not swap error responses by default, so let the
// containers marked data-swap-errors take them.
document.addEventListener("htmx:beforeSwap", function (event) {
  var status = event.detail.xhr.status;
  var target = event.detail.target;
  if ((status === 400 || status === 409 || status === 413) && target && target.closest("[data-swap-errors]")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
