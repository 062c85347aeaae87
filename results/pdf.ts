/**
 * A result document as PDF (pdfkit), in Russian with the DejaVu fonts that the
 * `dejavu-fonts-ttf` package ships (embedded, subset), and a QR code (`qrcode`, PNG) of
 * its verification address. The same input gives the same bytes.
 */
import { createRequire } from 'node:module';
import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import type { PrintedField } from '../core/result-document';

const require = createRequire(import.meta.url);
const FONT = require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');
const FONT_BOLD = require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf');

export interface DocumentLayout {
  /** Above the title: who issues it. */
  issuer: string;
  title: string;
  fields: PrintedField[];
  code: string;
  verifyUrl: string;
  issuedAt: string;
}

export function qrPng(url: string): Promise<Buffer> {
  return QRCode.toBuffer(url, { type: 'png', errorCorrectionLevel: 'M', margin: 2, scale: 4 });
}

export async function renderDocumentPdf(d: DocumentLayout): Promise<Buffer> {
  const qr = await qrPng(d.verifyUrl);
  const at = new Date(d.issuedAt);
  const doc = new PDFDocument({
    size: 'A4',
    margin: 56,
    info: { Title: d.title, Author: d.issuer, Subject: `Код проверки ${d.code}`, CreationDate: at, ModDate: at },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise<void>((resolve, reject) => {
    doc.on('end', resolve);
    doc.on('error', reject);
  });
  doc.registerFont('regular', FONT);
  doc.registerFont('bold', FONT_BOLD);
  const width = doc.page.width - 112;

  doc.font('regular').fontSize(10).fillColor('#555555').text(d.issuer, { width });
  doc.moveDown(1.5);
  doc.font('bold').fontSize(16).fillColor('#000000').text(d.title, { width });
  doc.moveDown(1);
  for (const f of d.fields) {
    doc.font('bold').fontSize(10).fillColor('#555555').text(f.label, { width });
    doc.font('regular').fontSize(12).fillColor('#000000').text(f.value, { width });
    doc.moveDown(0.6);
  }

  doc.moveDown(1);
  const top = doc.y;
  doc.image(qr, 56, top, { width: 120 });
  doc
    .font('bold')
    .fontSize(11)
    .text(`Код проверки: ${d.code}`, 196, top + 10, { width: width - 140 })
    .moveDown(0.5)
    .font('regular')
    .fontSize(9)
    .text('Подлинность документа проверяется без входа на портал: отсканируйте QR-код или откройте адрес', { width: width - 140 })
    .text(d.verifyUrl, { width: width - 140 })
    .moveDown(0.5)
    .text('Документ подписан электронной подписью системы; подпись и открытый ключ доступны на портале.', { width: width - 140 });
  doc.end();
  await ended;
  return Buffer.concat(chunks);
}
