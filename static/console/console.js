// The console's live refresh: every few seconds the figures are fetched again (the same view,
// ?fragment=1) and swapped in. A failed refresh keeps the last figures and says so.
(function () {
  "use strict";
  const box = document.getElementById("status");
  if (!box) return;
  const seconds = Number(box.dataset.refresh || 5);
  const note = document.createElement("p");
  note.className = "muted";
  note.dataset.testid = "refresh-state";
  box.before(note);
  async function refresh() {
    try {
      const response = await fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (response.redirected || !response.ok) throw new Error("HTTP " + response.status);
      box.innerHTML = await response.text();
      note.textContent = "updated " + new Date().toLocaleTimeString("en-GB", { timeZone: "Asia/Shanghai" }) + " (Asia/Shanghai)";
      note.classList.remove("error");
    } catch (err) {
      note.textContent = "refresh failed (" + err.message + "); showing the last figures";
      note.classList.add("error");
    }
  }
  setInterval(refresh, seconds * 1000);
})();
