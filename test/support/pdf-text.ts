import { execFile } from 'node:child_process';
import { join } from 'node:path';

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
