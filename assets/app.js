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

  // Labels: the print button (without script, the browser's own Print does the same).
  document.querySelectorAll("button[data-print]").forEach((button) => button.addEventListener("click", () => window.print()));

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

  // A file's page map: a square clicked chooses its page (Shift: the range to it) in the form
  // below, which the keyboard uses directly.
  const map = document.querySelector(".pagemap");
  if (map) {
    const from = document.getElementById("from");
    const to = document.getElementById("to");
    const squares = Array.from(map.querySelectorAll("b"));
    const show = () => {
      const first = Number(from.value), last = Number(to.value || from.value);
      squares.forEach((square, index) => square.classList.toggle("chosen", index + 1 >= first && index + 1 <= last));
    };
    map.addEventListener("click", (event) => {
      const page = squares.indexOf(event.target) + 1;
      if (page === 0) return;
      if (event.shiftKey && from.value) {
        const anchor = Number(from.value);
        from.value = Math.min(anchor, page);
        to.value = Math.max(anchor, page);
      } else {
        from.value = page;
        to.value = page;
      }
      show();
    });
    show();
  }

  // Move and Shelf audit: each box added to the list, which is redrawn (the region the form's
  // `data-scan-list` names) from the page the server answers for the list with it; the address
  // follows, so that a reload keeps the list.
  const list = document.querySelector("form[data-scan-list]");
  if (list) {
    const path = list.getAttribute("action");
    const region = list.dataset.scanList;
    queueScans(list, list.querySelector("input[name=add]"), async (code) => {
      const asked = new URLSearchParams(new FormData(list));
      asked.set("add", code);
      const answer = await fetchPage(path + "?" + asked.toString());
      if (answer === null) return;
      const page = new DOMParser().parseFromString(answer, "text/html");
      // The forms outside the region carry the list too: each takes the new one (the scan
      // form all its hidden fields, the others their boxes).
      for (const form of document.querySelectorAll("form")) {
        const fresh = page.querySelector(`form[action="${form.getAttribute("action")}"][method="${form.method}"]`);
        if (!fresh || form.closest("#" + region)) continue;
        const carried = form === list ? "input[type=hidden]" : "input[type=hidden][name=box]";
        form.querySelectorAll(carried).forEach((input) => input.remove());
        form.prepend(...Array.from(fresh.querySelectorAll(carried), (input) => document.importNode(input)));
      }
      document.getElementById(region).replaceWith(document.importNode(page.getElementById(region), true));
      status.textContent = page.getElementById("status").textContent;
      const kept = new URLSearchParams(new FormData(list));
      kept.delete("add");
      history.replaceState(null, "", path + "?" + kept.toString());
    });
  }
});
