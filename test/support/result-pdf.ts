import jsQR from 'jsqr';
import { PDFParse } from 'pdf-parse';
import { PNG } from 'pngjs';

/** A result PDF read back as a person's tools would: its text, and what its QR code says. */
export async function readResultPdf(bytes: Buffer): Promise<{ text: string; qr: string | undefined }> {
  const parser = new PDFParse({ data: new Uint8Array(bytes) });
  try {
    const { text } = await parser.getText();
    const images = await parser.getImage();
    const qr = images.pages
      .flatMap((p) => p.images)
      .map((image) => {
        const png = PNG.sync.read(Buffer.from(image.data));
        return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data;
      })
      .find(Boolean);
    return { text: text.replace(/\s+/g, ' '), qr };
  } finally {
    await parser.destroy();
  }
}
