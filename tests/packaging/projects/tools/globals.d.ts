// Code shared with a server, compiled without the DOM lib and without @types/node: only the
// console, as either would declare it. The SDK's types need nothing more.
declare const console: { log(...data: unknown[]): void; info(...data: unknown[]): void; warn(...data: unknown[]): void; error(...data: unknown[]): void };
