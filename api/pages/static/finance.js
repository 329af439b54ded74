// Finance pages: a bill file dropped onto the upload form, the upload's progress, and the
// server's refusals shown where the answer goes (422, 409, 413 carry a fragment saying why).
(function () {
  "use strict";

  function ready() {
    var zone = document.getElementById("drop-zone");
    var input = document.getElementById("bill-file");
    if (zone && input) {
      ["dragenter", "dragover"].forEach(function (type) {
        zone.addEventListener(type, function (e) { e.preventDefault(); zone.classList.add("over"); });
      });
      ["dragleave", "drop"].forEach(function (type) {
        zone.addEventListener(type, function (e) { e.preventDefault(); zone.classList.remove("over"); });
      });
      zone.addEventListener("drop", function (e) {
        if (e.dataTransfer && e.dataTransfer.files.length) {
          input.files = e.dataTransfer.files;
          input.dispatchEvent(new Event("change", { bubbles: true }));
        }
      });
    }
  }

  document.addEventListener("htmx:xhr:progress", function (e) {
    var bar = document.getElementById("upload-progress");
    if (bar && e.detail.lengthComputable && e.detail.total) {
      bar.hidden = false;
      bar.value = Math.round((e.detail.loaded * 100) / e.detail.total);
    }
  });

  document.addEventListener("htmx:beforeSwap", function (e) {
    var status = e.detail.xhr.status;
    if (status !== 409 && status !== 413 && status !== 422) { return; }
    e.detail.shouldSwap = true;
    e.detail.isError = false;
    var type = e.detail.xhr.getResponseHeader("Content-Type") || "";
    if (type.indexOf("application/json") === 0) {  // refused before the page's handler ran
      var p = document.createElement("p");
      p.className = "error";
      p.setAttribute("role", "alert");
      try {
        var detail = JSON.parse(e.detail.serverResponse).detail;
        p.textContent = Array.isArray(detail)  // the API's 422: [{loc, msg}, ...]
          ? detail.map(function (d) { return (d.loc ? d.loc + ": " : "") + d.msg; }).join("; ")
          : detail;
      }
      catch (err) { p.textContent = e.detail.serverResponse; }
      e.detail.serverResponse = p.outerHTML;
    }
  });

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", ready); }
  else { ready(); }
})();
