// Staff console: small progressive enhancements (the pages work without JavaScript).
document.addEventListener("DOMContentLoaded", () => {
  // Forms that need a confirmation ("Cancel this appointment?").
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
  // Selects that reload the page when changed (practitioner, motif).
  document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });
  // Bring the first free time of the week grid into view on tablets.
  const grid = document.querySelector(".week-scroll");
  const first = grid && grid.querySelector(".block.open");
  if (first && grid.scrollHeight > grid.clientHeight) first.scrollIntoView({ block: "nearest" });
});
