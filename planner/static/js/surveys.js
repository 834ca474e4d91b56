// Mapping form: choosing a rating or ranking opens the details where scale and layout are set.
// Progressive enhancement only; the form works without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".survey-mapping select[id$='__kind']").forEach((select) => {
    select.addEventListener("change", () => {
      const details = select.closest("fieldset")?.querySelector("details");
      if (details && ["rating", "ranking", "multiple", "single"].includes(select.value)) {
        details.open = true;
      }
    });
  });
});
