// Injected by the browser tests into every document before the page's own scripts (it is not
// part of the site). It reports each Content-Security-Policy violation to the test through the
// __mqReport binding, so that a page that tries an inline script or style fails its test.
document.addEventListener('securitypolicyviolation', (e) => {
  window.__mqReport(JSON.stringify({
    page: location.href,
    directive: e.violatedDirective,
    blocked: e.blockedURI,
    source: e.sourceFile,
    line: e.lineNumber,
    sample: e.sample,
  }));
}, true);
