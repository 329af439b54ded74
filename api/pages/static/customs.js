// The customs desk's keyboard shortcuts (documented on each page). Not while typing in a field.
(function () {
  "use strict";
  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#queue tbody tr[data-id]")); }
  function moveInQueue(step) {
    var all = rows();
    if (!all.length) return;
    var at = all.findIndex(function (r) { return r.classList.contains("current"); });
    var next = Math.min(all.length - 1, Math.max(0, at + step));
    if (at >= 0) all[at].classList.remove("current");
    all[next].classList.add("current");
    all[next].querySelector("a").focus();
  }
  function go(id) { var a = document.getElementById(id); if (a) window.location.href = a.href; }
  function focus(id) { var el = document.getElementById(id); if (el) { el.focus(); } }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var inQueue = !!document.getElementById("queue");
    var actions = {
      j: function () { inQueue ? moveInQueue(1) : go("next"); },
      k: function () { inQueue ? moveInQueue(-1) : go("previous"); },
      a: function () { focus("approve-button"); },
      r: function () { focus("reject-reason"); },
      e: function () { var first = document.querySelector(".amend-field"); if (first) first.focus(); }
    };
    if (actions[event.key]) { event.preventDefault(); actions[event.key](); }
  });
})();
