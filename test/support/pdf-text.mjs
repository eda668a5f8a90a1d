// Reads a PDF on stdin and prints {"pages": n, "text": "..."} as pdf.js extracts it. Run by
// pdf-text.ts in a plain Node process: pdf.js loads its worker with a dynamic import, which
// Jest's module sandbox refuses.
import { PDFParse } from 'pdf-parse';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const parser = new PDFParse({ data: new Uint8Array(Buffer.concat(chunks)) });
try {
  const result = await parser.getText();
  process.stdout.write(JSON.stringify({ pages: result.total, text: result.text }));
} finally {
  await parser.destroy();
}
