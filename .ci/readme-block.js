// Prints the first ```sh block under a `## <heading>` of the README, so that CI runs the commands
// the README shows, exactly as written.
const fs = require('fs');
const [readme, heading] = process.argv.slice(2);
const text = fs.readFileSync(readme, 'utf8');
const start = text.indexOf(`\n## ${heading}\n`);
if (start < 0) throw new Error(`README has no section "## ${heading}"`);
const next = text.indexOf('\n## ', start + 1);
const section = text.slice(start, next < 0 ? undefined : next);
const block = section.match(/```sh\n([\s\S]*?)```/);
if (!block) throw new Error(`README section "## ${heading}" has no sh block`);
process.stdout.write(block[1]);
