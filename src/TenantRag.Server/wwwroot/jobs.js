// Uploads as jobs: each file is a row that goes uploading → queued → embedding n of m chunks → ready (with its
// documents) or the job's error; a file refused at once keeps its own message. Rows come back after a reload: the
// caller's recent jobs (GET /v1/jobs), and the refusals of this tab (sessionStorage, no job holds them).
import { api, session, readEvents, problemDetail } from "./api.js";

const Streams = 2;       // jobs followed over server-sent events at once: a browser opens only 6 connections to a host
const PollMs = 3000;     // how often jobs waiting for a stream are looked at, all in one request
const Recent = 10;       // jobs shown after a reload
const KeptRefusals = 20;
const RefusalsKey = "tenantrag.refusals";

const rows = new Map();  // job id -> its row
const waiting = new Set(); // unfinished jobs without a stream, oldest first
const streamed = new Set(); // jobs with a stream
let streaming = 0;
let polling = null;
let list;
let documentsChanged = () => {};
let openDocument = () => {};

const finished = (status) => status === "succeeded" || status === "failed";

/** Wires the rows to the page: the list, what to do when documents were added, and how to open one. */
export function initUploads(options) {
  list = options.list;
  documentsChanged = options.documentsChanged;
  openDocument = options.openDocument;
}

function element(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function newRow(fileName) {
  const row = element("li", "job");
  const text = element("div", "job-text");
  text.append(element("div", "job-name", fileName), element("div", "job-status"));
  const progress = element("progress");
  progress.max = 100;
  progress.hidden = true;
  row.append(text, element("span", "job-documents"), progress);
  return row;
}

function setState(row, state, status, percent) {
  row.dataset.state = state;
  row.querySelector(".job-status").textContent = status;
  const progress = row.querySelector("progress");
  progress.hidden = percent === undefined;
  if (percent !== undefined) progress.value = percent;
}

function refusalRow(fileName, message) {
  const row = newRow(fileName);
  setState(row, "failed", message);
  return row;
}

function running(job) {
  if (job.stage === "embedding" && job.chunksTotal > 0) return `embedding ${job.chunksDone} of ${job.chunksTotal} chunks`;
  return { starting: "starting", extracting: "reading the file", chunking: "cutting it into chunks", storing: "storing" }[job.stage] || job.stage;
}

function render(row, job) {
  row.dataset.jobId = job.id;
  row.querySelector(".job-name").textContent = job.title && job.title !== job.fileName ? `${job.fileName} (${job.title})` : job.fileName;
  const documents = row.querySelector(".job-documents");
  documents.replaceChildren();
  if (job.status === "queued") setState(row, "queued", "queued");
  else if (job.status === "running") setState(row, "running", running(job), job.chunksTotal > 0 ? Math.round((100 * job.chunksDone) / job.chunksTotal) : undefined);
  else if (job.status === "failed") setState(row, "failed", job.error ? `${job.error.reason}: ${job.error.message}` : "failed");
  else {
    const count = job.documentIds.length;
    setState(row, "ready", count === 1 ? "ready" : `ready: ${count} documents`);
    if (count <= 3) {
      job.documentIds.forEach((id, i) => {
        const open = element("button", "small", count === 1 ? "Open" : `Open ${i + 1}`);
        open.type = "button";
        open.addEventListener("click", () => openDocument(id));
        documents.append(open);
      });
    }
  }
}

// The job's news: its row shows it, and a job that made documents refreshes the list.
function update(job) {
  const row = rows.get(job.id);
  if (!row) return;
  const was = row.dataset.state;
  render(row, job);
  if (finished(job.status)) {
    waiting.delete(job.id);
    if (job.status === "succeeded" && was !== "ready") documentsChanged();
  }
}

function follow(job) {
  if (finished(job.status) || waiting.has(job.id) || streamed.has(job.id)) return;
  waiting.add(job.id);
  pump();
}

// Streams go to the oldest waiting jobs (the ones the workers take first); the rest are polled together.
function pump() {
  while (streaming < Streams && waiting.size > 0) {
    const id = waiting.values().next().value;
    waiting.delete(id);
    streamed.add(id);
    streaming++;
    const signal = session.signal;
    stream(id, signal).finally(() => {
      if (signal.aborted) return; // a session that ended: the new one counts its own streams
      streamed.delete(id);
      streaming--;
      pump();
    });
  }

  if (waiting.size > 0 && polling === null) polling = setTimeout(poll, PollMs);
}

async function stream(id, signal) {
  for (let failures = 0; !signal.aborted;) {
    let last = null;
    try {
      const response = await api(`/v1/jobs/${encodeURIComponent(id)}/events`, { headers: { Accept: "text/event-stream" } });
      await readEvents(response, (_, job) => { if (!signal.aborted) { last = job; update(job); } });
      if (last && finished(last.status)) return;
      failures = 0; // the server ends a stream after a while: open another
    } catch (e) {
      if (signal.aborted || e.status === 401) return;
      if (e.status === 404) {
        const row = rows.get(id);
        if (row) setState(row, "failed", "this upload is no longer there");
        return;
      }

      failures++;
      await new Promise((resolve) => setTimeout(resolve, Math.min(30_000, 1000 * 2 ** failures)));
    }
  }
}

async function poll() {
  polling = null;
  if (waiting.size === 0) return;
  const signal = session.signal;
  try {
    const page = await (await api(`/v1/jobs?limit=${Math.min(200, Math.max(Recent, rows.size))}`)).json();
    if (signal.aborted) return;
    for (const job of page.jobs) if (waiting.has(job.id)) update(job);
  } catch (e) {
    if (signal.aborted || e.status === 401) return;
  }

  if (waiting.size > 0 && polling === null) polling = setTimeout(poll, PollMs);
}

function refusals() {
  try { return JSON.parse(sessionStorage.getItem(RefusalsKey)) || []; } catch { return []; }
}

// Returns the refusal's key: its row carries it, so a reload's list does not show it twice.
function keepRefusal(fileName, message) {
  const key = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const kept = [{ key, fileName, message, at: new Date().toISOString() }, ...refusals()].slice(0, KeptRefusals);
  sessionStorage.setItem(RefusalsKey, JSON.stringify(kept));
  return key;
}

/**
 * Shows the caller's recent jobs and this tab's refusals, newest first, below the rows already shown (uploads started
 * while the list was on its way), and follows the unfinished jobs.
 */
export async function loadUploads() {
  const signal = session.signal;
  const page = await (await api(`/v1/jobs?limit=${Recent}`)).json();
  if (signal.aborted) return;
  const shown = new Set([...list.children].map((row) => row.dataset.refusal));
  const entries = [
    ...page.jobs.filter((job) => !rows.has(job.id)).map((job) => ({ at: Date.parse(job.createdAt), job })),
    ...refusals().filter((r) => !shown.has(r.key)).map((r) => ({ at: Date.parse(r.at), refusal: r })),
  ].sort((a, b) => b.at - a.at);
  for (const { job, refusal } of entries) {
    if (refusal) {
      const row = refusalRow(refusal.fileName, refusal.message);
      row.dataset.refusal = refusal.key;
      list.append(row);
      continue;
    }

    const row = newRow(job.fileName);
    rows.set(job.id, row);
    render(row, job);
    list.append(row);
  }

  for (const job of [...page.jobs].reverse()) if (rows.get(job.id)?.isConnected) follow(job);
}

/** Forgets every row (sign-out): streams and polls stop with the session's signal. */
export function clearUploads() {
  clearTimeout(polling);
  polling = null;
  streaming = 0;
  waiting.clear();
  streamed.clear();
  rows.clear();
  sessionStorage.removeItem(RefusalsKey);
  if (list) list.replaceChildren();
}

// One file, multipart, with upload progress (fetch cannot report it): the job's id, or an Error with the refusal.
function send(file, visibility, onProgress) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    form.append("file", file);
    form.append("visibility", visibility);
    const xhr = new XMLHttpRequest();
    const signal = session.signal;
    const abort = () => xhr.abort();
    signal.addEventListener("abort", abort, { once: true });
    xhr.onloadend = () => signal.removeEventListener("abort", abort);
    xhr.open("POST", "/v1/documents");
    xhr.setRequestHeader("Authorization", `Bearer ${session.token}`);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(Math.round((100 * e.loaded) / e.total)); };
    xhr.onload = () => {
      if (xhr.status === 202) { resolve(JSON.parse(xhr.responseText)); return; }
      if (xhr.status === 401) { reject(Object.assign(new Error("unauthorized"), { status: 401 })); return; }
      reject(new Error(problemDetail(xhr.status, xhr.statusText, xhr.responseText)));
    };
    xhr.onerror = () => reject(new Error("the upload did not reach the server (network error); upload the file again"));
    xhr.onabort = () => reject(Object.assign(new Error("aborted"), { name: "AbortError" }));
    xhr.send(form);
  });
}

/** Uploads the files one after another, each its own row from the start; returns when all are sent (not finished). */
export async function uploadFiles(files, visibility, onUnauthorized) {
  const signal = session.signal;
  const batch = files.map((file) => ({ file, row: newRow(file.name) }));
  for (const { row } of [...batch].reverse()) {
    setState(row, "waiting", "waiting to upload");
    list.prepend(row);
  }

  for (const { file, row } of batch) {
    if (signal.aborted) return;
    setState(row, "uploading", "uploading", 0);
    try {
      const accepted = await send(file, visibility, (percent) => setState(row, "uploading", `uploading ${percent}%`, percent));
      const job = { id: accepted.jobId, status: accepted.status, stage: "queued", fileName: file.name, documentIds: [], chunksDone: 0, chunksTotal: 0 };
      if (rows.get(job.id) !== row) rows.get(job.id)?.remove(); // listed already by a reload's list that crossed the upload
      rows.set(job.id, row);
      render(row, job);
      follow(job);
    } catch (e) {
      if (signal.aborted || e.name === "AbortError") return;
      if (e.status === 401) { onUnauthorized(); return; }
      setState(row, "failed", e.message);
      row.dataset.refusal = keepRefusal(file.name, e.message);
    }
  }
}
