/**
 * commander, for the CommonJS code of this package.
 *
 * commander is published as an ECMAScript module only, and the library compiles to CommonJS
 * (`module: node16`), where a plain `import` of it does not type-check. The types are imported in
 * ECMAScript mode and the module is loaded with `require`, which Node.js 20.19+ supports for
 * ECMAScript modules and which esbuild resolves when it bundles the tool. Import commander from
 * here, never from 'commander' directly.
 */
import type * as commander from 'commander' with { 'resolution-mode': 'import' };

// eslint-disable-next-line @typescript-eslint/no-require-imports
const loaded = require('commander') as typeof commander;

export const Command = loaded.Command;
export const Option = loaded.Option;
export const Help = loaded.Help;
export const CommanderError = loaded.CommanderError;
export const InvalidArgumentError = loaded.InvalidArgumentError;

export type Command = commander.Command;
export type Option = commander.Option;
export type Help = commander.Help;
export type CommanderError = commander.CommanderError;
