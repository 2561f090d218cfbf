#!/usr/bin/env node
// Finishes the Python of the README's examples in a jsii-rosetta tablet, before jsii-pacmak writes the
// package's description (its PyPI page) from it:
// - rosetta/*.py replace the translation of the README's TypeScript example each one names in its first line
//   (`# Python of the README's TypeScript example that contains: <text>`); the lines after the header comment
//   are the Python shown. A file that names no example, or more than one, fails, so none goes stale unnoticed.
// - a whole app (`app = App()`) ends with `app.synth()`: a Node.js app synthesizes by itself when the CDK CLI
//   runs it, a Python app only when it says so.
// test:python runs every Python example of the description, hand-written or translated.
//
// Usage: node rosetta/python-examples.js TABLET
const fs = require('fs');
const path = require('path');

const [tabletFile] = process.argv.slice(2);
const tablet = JSON.parse(fs.readFileSync(tabletFile, 'utf8'));
const snippets = Object.values(tablet.snippets);
const HEADER = /^# Python of the README's TypeScript example that contains: (.+)\n/;

for (const name of fs.readdirSync(__dirname).filter((file) => file.endsWith('.py')).sort()) {
  const text = fs.readFileSync(path.join(__dirname, name), 'utf8');
  const header = text.match(HEADER);
  if (!header) throw new Error(`rosetta/${name} does not start with "# Python of the README's TypeScript example that contains: ..."`);
  const named = snippets.filter((snippet) => snippet.translations.$.source.includes(header[1]));
  if (named.length !== 1) {
    throw new Error(`rosetta/${name} names ${named.length} README examples (containing "${header[1]}"), not exactly one`);
  }
  // The comment lines after the header explain the file, not the example.
  const python = text.replace(HEADER, '').replace(/^(#[^\n]*\n)*/, '').trimEnd();
  named[0].translations.python = { ...named[0].translations.python, source: python };
  // No "generated from non-compiling source" disclaimer: this Python is run by test:python.
  named[0].didCompile = true;
  console.log(`${name}: hand-written Python for the README example at line ${named[0].location.field.line}`);
}

for (const snippet of snippets) {
  const python = snippet.translations.python;
  if (/^app = App\(\)$/m.test(python.source) && !/^app\.synth\(\)$/m.test(python.source)) {
    python.source = `${python.source.trimEnd()}\n\napp.synth()`;
  }
}
fs.writeFileSync(tabletFile, JSON.stringify(tablet, null, 2));
