import { execFile } from 'node:child_process';
import { join } from 'node:path';
import request from 'supertest';

/** A PDF's page count and text as a reader extracts them (pdf.js, through pdf-parse). */
export async function pdfText(pdf: Buffer): Promise<{ pages: number; text: string }> {
  expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  const output = await new Promise<string>((resolve, reject) => {
    const child = execFile(process.execPath, [join(__dirname, 'pdf-text.mjs')], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      error ? reject(new Error(`pdf-text failed: ${stderr || error.message}`)) : resolve(stdout),
    );
    child.stdin?.end(pdf);
  });
  return JSON.parse(output) as { pages: number; text: string };
}

/** `GET …/{code}/receipt.pdf?email=` with the body as a Buffer (supertest does not buffer PDFs by itself). */
export function getReceiptPdf(base: string, code: string, email: string): request.Test {
  return request(base)
    .get(`/api/v1/reservations/${code}/receipt.pdf`)
    .query({ email })
    .buffer(true)
    .parse((res, callback) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => callback(null, Buffer.concat(chunks)));
    });
}
