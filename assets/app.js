// The locate screen's scan field: a barcode scanner types fast and presses Enter. Each scan is
// queued and answered in the order it came (never dropped), the newest answer first; the field
// is emptied and keeps the focus, and each answer is announced. Without this script the form
// still works: a GET of the page.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-scan]");
  if (!form) return;
  const field = form.querySelector("input[name=q]");
  const results = document.getElementById("results");
  const status = document.getElementById("status");
  const waiting = [];
  let answering = false;

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = field.value.trim();
    field.value = "";
    field.focus();
    if (query) {
      waiting.push(query);
      answerNext();
    }
  });

  async function answerNext() {
    if (answering || waiting.length === 0) return;
    answering = true;
    const query = waiting.shift();
    try {
      const response = await fetch("/locate?q=" + encodeURIComponent(query), {
        headers: { "HX-Request": "true" },
        credentials: "same-origin",
      });
      if (response.redirected) {
        window.location.assign(response.url);
        return;
      }
      const section = document.createElement("section");
      section.className = "result";
      section.innerHTML = await response.text();
      results.prepend(section);
      const announced = section.querySelector("[data-announce]");
      status.textContent = announced ? announced.dataset.announce : "";
    } finally {
      answering = false;
      answerNext();
    }
  }
});
