// lumenocr web page: no build step, no dependencies. Sends the file to POST /v1/ocr with
// boxes=nested (line boxes, each with its words) and page_image=true (the picture exactly as
// the server read it, so boxes line up for PDFs, TIFFs and EXIF-rotated photos alike).
"use strict";

const $ = (id) => document.getElementById(id);
const state = { records: [], page: 0, fileName: "" };

const keyInput = $("apikey");
keyInput.value = localStorage.getItem("lumenocr-api-key") || "";
keyInput.addEventListener("change", () => localStorage.setItem("lumenocr-api-key", keyInput.value));

function setStatus(text, isError = false) {
  const el = $("status");
  el.textContent = text;
  el.classList.toggle("error", isError);
}

function boxMode() {
  return document.querySelector('input[name="boxes"]:checked').value;
}

async function readFile(file) {
  if (!file) return;
  state.fileName = file.name || "pasted-image";
  const form = new FormData();
  form.append("file", file, state.fileName);
  form.append("boxes", "nested");
  form.append("page_image", "true");
  form.append("cls", $("cls").checked ? "true" : "false");
  const pages = $("pages").value.trim();
  if (pages) form.append("pages", pages);
  const headers = {};
  if (keyInput.value) headers["X-API-Key"] = keyInput.value;
  setStatus(`reading ${state.fileName}…`);
  $("copy").disabled = $("download").disabled = true;
  const t0 = performance.now();
  let response;
  try {
    response = await fetch("/v1/ocr", { method: "POST", body: form, headers });
  } catch (err) {
    setStatus(`could not reach the server: ${err}`, true);
    return;
  }
  let body;
  try {
    body = await response.json();
  } catch (err) {
    setStatus(`HTTP ${response.status}: the answer is not JSON`, true);
    return;
  }
  if (!response.ok) {
    const e = body.error || {};
    setStatus(`HTTP ${response.status} ${e.code || ""}: ${e.message || "error"}`, true);
    return;
  }
  state.records = body;
  state.page = 0;
  const lines = body.reduce((n, r) => n + r.boxes.length, 0);
  const secs = ((performance.now() - t0) / 1000).toFixed(2);
  setStatus(`${state.fileName}: ${lines} line(s) on ${body.length} page(s) in ${secs} s`);
  $("copy").disabled = $("download").disabled = false;
  renderTabs();
  render();
}

function renderTabs() {
  const nav = $("pagetabs");
  nav.replaceChildren();
  if (state.records.length < 2) return;
  state.records.forEach((rec, i) => {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = `page ${rec.page === null ? i + 1 : rec.page + 1}`;
    b.addEventListener("click", () => { state.page = i; renderTabs(); render(); });
    if (i === state.page) b.setAttribute("aria-current", "true");
    nav.append(b);
  });
}

function items(record) {
  // Line boxes, or the words of every line ("switch line/word boxes" needs no new request).
  if (boxMode() === "lines") return record.boxes;
  const out = [];
  for (const line of record.boxes) {
    if (line.words && line.words.length) out.push(...line.words);
    else out.push(line);
  }
  return out;
}

function highlight(i, on) {
  const poly = $("overlay").children[i];
  const li = $("lines").children[i];
  if (poly) poly.classList.toggle("hi", on);
  if (li) li.classList.toggle("hi", on);
  if (on && li) li.scrollIntoView({ block: "nearest" });
}

function render() {
  const record = state.records[state.page];
  if (!record) return;
  $("result").hidden = false;
  const img = $("picture");
  const svg = $("overlay");
  const list = $("lines");
  svg.replaceChildren();
  list.replaceChildren();
  img.onload = () => svg.setAttribute("viewBox", `0 0 ${img.naturalWidth} ${img.naturalHeight}`);
  if (img.src !== record.page_image) img.src = record.page_image;
  else svg.setAttribute("viewBox", `0 0 ${img.naturalWidth} ${img.naturalHeight}`);
  items(record).forEach((box, i) => {
    const poly = document.createElementNS("http://www.w3.org/2000/svg", "polygon");
    poly.setAttribute("points", box.points.map((p) => p.join(",")).join(" "));
    poly.dataset.index = String(i);
    const title = document.createElementNS("http://www.w3.org/2000/svg", "title");
    title.textContent = box.text;
    poly.append(title);
    poly.addEventListener("mouseenter", () => highlight(i, true));
    poly.addEventListener("mouseleave", () => highlight(i, false));
    svg.append(poly);
    const li = document.createElement("li");
    li.textContent = box.text;
    const score = document.createElement("span");
    score.className = "score";
    score.textContent = box.score.toFixed(2);
    li.append(score);
    li.addEventListener("mouseenter", () => highlight(i, true));
    li.addEventListener("mouseleave", () => highlight(i, false));
    list.append(li);
  });
}

function pageText(record) {
  return record.boxes.map((b) => b.text).join("\n");
}

$("copy").addEventListener("click", async () => {
  const text = state.records.map(pageText).join("\n\n");
  try {
    await navigator.clipboard.writeText(text);
  } catch (err) {
    const area = document.createElement("textarea");  // clipboard API needs a secure context
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  setStatus("text copied");
});

$("download").addEventListener("click", () => {
  // The records without the embedded page pictures: the same JSON `lumenocr ocr` writes.
  const records = state.records.map(({ page_image, ...rest }) => rest);
  const blob = new Blob([JSON.stringify(records, null, 1)], { type: "application/json" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = (state.fileName.replace(/\.[^.]+$/, "") || "result") + ".json";
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
});

document.querySelectorAll('input[name="boxes"]').forEach((r) => r.addEventListener("change", render));
$("file").addEventListener("change", (e) => readFile(e.target.files[0]));

const drop = $("drop");
["dragenter", "dragover"].forEach((ev) => drop.addEventListener(ev, (e) => {
  e.preventDefault();
  drop.classList.add("over");
}));
["dragleave", "drop"].forEach((ev) => drop.addEventListener(ev, (e) => {
  e.preventDefault();
  drop.classList.remove("over");
}));
drop.addEventListener("drop", (e) => readFile(e.dataTransfer.files[0]));
drop.addEventListener("keydown", (e) => {
  if (e.key === "Enter" || e.key === " ") { e.preventDefault(); $("file").click(); }
});
document.addEventListener("paste", (e) => {
  for (const item of e.clipboardData.items) {
    if (item.kind === "file") { readFile(item.getAsFile()); return; }
  }
});
