// Settings pages: forms marked data-confirm="question" ask before submitting (deleting a tag,
// a tier or a field, deactivating an agent). No inline handlers: the CSP forbids them.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  const question = form.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});
