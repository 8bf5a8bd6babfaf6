// The customer portal: forms marked data-submit-once disable their submit button once sent,
// so a double click doesn't send a reply twice. No inline script anywhere (strict CSP).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-submit-once")) return;
  if (form.dataset.submitted === "1") {
    event.preventDefault();
    return;
  }
  form.dataset.submitted = "1";
  for (const button of form.querySelectorAll("button[type=submit]")) {
    button.disabled = true;
  }
});

// Coming back with the browser's Back button shows the page from cache: make it usable again.
window.addEventListener("pageshow", () => {
  for (const form of document.querySelectorAll("form[data-submit-once]")) {
    delete form.dataset.submitted;
    for (const button of form.querySelectorAll("button[type=submit]")) button.disabled = false;
  }
});
