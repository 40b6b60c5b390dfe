// What a container's log driver does with a task's stdout, as far as the writer can tell: read
// every byte from the pipe as it comes and keep it (here: count its lines). A separate process, so
// the writer meets a real pipe with a real reader on the other end. Prints {"lines","bytes"} once
// its stdin ends.
let lines = 0;
let bytes = 0;
process.stdin.on('data', (chunk: Buffer) => {
  bytes += chunk.byteLength;
  for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines += 1;
});
process.stdin.on('end', () => process.stdout.write(`${JSON.stringify({ lines, bytes })}\n`));
