// The scan fields of the staff app. A barcode scanner types fast and presses Enter: each scan is
// queued and answered in the order it came (never dropped), the field is emptied and keeps the
// focus, and each answer is announced. Without this script every form still works: a GET of
// the page.
"use strict";

// Calls `answer(code)` for each code submitted in `form`'s `field`, one at a time, in order.
function queueScans(form, field, answer) {
  const waiting = [];
  let answering = false;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const code = field.value.trim();
    field.value = "";
    field.focus();
    if (code) {
      waiting.push(code);
      next();
    }
  });
  async function next() {
    if (answering || waiting.length === 0) return;
    answering = true;
    try {
      await answer(waiting.shift());
    } finally {
      answering = false;
      next();
    }
  }
}

// Fetches `url` as the signed-in person; a redirect (the session ended) is followed by the page.
async function fetchPage(url, headers) {
  const response = await fetch(url, { headers: headers || {}, credentials: "same-origin" });
  if (response.redirected) {
    window.location.assign(response.url);
    return null;
  }
  return response.text();
}

document.addEventListener("DOMContentLoaded", () => {
  const status = document.getElementById("status");

  // Locate: each answer put first.
  const locate = document.querySelector("form[data-scan]");
  if (locate) {
    const results = document.getElementById("results");
    queueScans(locate, locate.querySelector("input[name=q]"), async (query) => {
      const answer = await fetchPage("/locate?q=" + encodeURIComponent(query), { "HX-Request": "true" });
      if (answer === null) return;
      const section = document.createElement("section");
      section.className = "result";
      section.innerHTML = answer;
      results.prepend(section);
      const announced = section.querySelector("[data-announce]");
      status.textContent = announced ? announced.dataset.announce : "";
    });
  }

  // Move: each box added to the list, which is redrawn from the page the server answers for
  // the list with it; the address follows, so that a reload keeps the list.
  const move = document.querySelector("form[data-scan-list]");
  if (move) {
    queueScans(move, move.querySelector("input[name=add]"), async (code) => {
      const asked = new URLSearchParams(new FormData(move));
      asked.set("add", code);
      const answer = await fetchPage("/move?" + asked.toString());
      if (answer === null) return;
      const page = new DOMParser().parseFromString(answer, "text/html");
      const hidden = Array.from(page.querySelectorAll("form[data-scan-list] input[type=hidden]"), (input) =>
        document.importNode(input),
      );
      move.querySelectorAll("input[type=hidden]").forEach((input) => input.remove());
      move.prepend(...hidden);
      document.getElementById("move-list").replaceWith(document.importNode(page.getElementById("move-list"), true));
      status.textContent = page.getElementById("status").textContent;
      const kept = new URLSearchParams(new FormData(move));
      kept.delete("add");
      history.replaceState(null, "", "/move?" + kept.toString());
    });
  }
});
