/**
 * The state duty of one application (SPEC §4.1): what the current form costs, what was
 * paid, the open invoice and the payments seen. Pure rules; the case commits the entries
 * they return and moves its status and clock around them.
 */
import type { EntryDraft } from './case-model';
import { computeFee, type FeeRule } from './catalogue';
import { addDays } from './deadline-clock';
import { MAX_INVOICES_PER_CASE, paymentIdOf } from './payment-id';

export interface Invoice {
  id: string;
  amount: number;
  issuedAt: string;
  dueAt: string;
  /** What the citizen pays by (УИН format); absent on invoices of cases filed before it existed. */
  paymentId?: string;
}

/** A payment applied to an invoice, as the citizen's receipt shows it. */
export interface Receipt {
  invoiceId: string;
  paymentId: string | null;
  amount: number;
  transactionId: string;
  /** When the gateway took the money. */
  paidAt: string;
  /** When the case applied it. */
  receivedAt: string;
}

/** Money the case owes back: an overpayment found on appeal, or a payment no open invoice took. */
export interface Refund {
  amount: number;
  reason: 'fee_corrected' | 'payment_not_applied';
  /** The upheld appeal that corrected the duty. */
  appeal: string | null;
  /** The payment that is returned, when it was not applied. */
  transactionId: string | null;
  orderedAt: string;
  status: 'ordered';
}

export interface FeeView {
  amount: number;
  paid: number;
  invoice: Invoice | null;
  receipts: Receipt[];
  refunds: Refund[];
}

/** Total duty for the current form, and what has been paid towards it. */
export interface FeeState {
  amount: number;
  paid: number;
  invoice: Invoice | null;
  invoices: number;
  /** Gateway transaction ids already seen: a payment counts once. */
  transactions: string[];
  assessedAt?: string;
  /** The payee's participant code in the state payment system; absent in cases filed before payment identifiers. */
  payee?: string;
  /** Absent in cases that took no payment and ordered no refund since these were kept. */
  receipts?: Receipt[];
  refunds?: Refund[];
}

/** A payment as the gateway reports it, resolved to the invoice it pays. */
export interface Payment {
  invoiceId: string;
  /** The identifier the gateway named, when it named one. */
  paymentId?: string;
  amount: number;
  transactionId: string;
  paidAt: string;
}

export class FeeAccount {
  constructor(
    readonly f: FeeState,
    private readonly caseNumber: string,
    private readonly paymentTermDays: number,
  ) {}

  static open(rule: FeeRule, form: Record<string, unknown>, payee?: string): FeeState {
    const state: FeeState = { amount: computeFee(rule, form), paid: 0, invoice: null, invoices: 0, transactions: [] };
    return payee ? { ...state, payee } : state;
  }

  get owed(): number {
    return this.f.amount - this.f.paid;
  }

  /** Something is owed that the open invoice (if any) does not bill. */
  get needsInvoice(): boolean {
    return this.owed > 0 && this.f.invoice?.amount !== this.owed;
  }

  /** The form changed: the duty follows it. */
  reassess(rule: FeeRule, form: Record<string, unknown>): EntryDraft[] {
    const amount = computeFee(rule, form);
    if (amount === this.f.amount) return [];
    this.f.amount = amount;
    return [{ type: 'fee_changed', summary: `State duty recalculated: ${amount} RUB`, data: { amount } }];
  }

  /** The duty corrected on appeal `appeal`; what was paid beyond it is refunded. */
  correct(amount: number, appeal: string, at: string): EntryDraft[] {
    this.f.amount = amount;
    const entries: EntryDraft[] = [{ type: 'fee_changed', summary: `State duty corrected on appeal: ${amount} RUB`, data: { amount } }];
    const overpaid = this.f.paid - amount;
    if (overpaid > 0) {
      this.f.paid = amount;
      this.refund({ amount: overpaid, reason: 'fee_corrected', appeal, transactionId: null, orderedAt: at });
      entries.push({ type: 'refund_ordered', summary: `${overpaid} RUB overpaid; refund ordered`, data: { amount: overpaid } });
    }
    return entries;
  }

  /** Another invoice may be issued: each has an identifier of its own (`MAX_INVOICES_PER_CASE`). */
  get invoicesLeft(): number {
    return this.f.payee ? MAX_INVOICES_PER_CASE - this.f.invoices : Infinity;
  }

  issueInvoice(amount: number, at: string): EntryDraft {
    const n = ++this.f.invoices;
    const invoice: Invoice = {
      id: `${this.caseNumber}-F${n}`,
      amount,
      issuedAt: at,
      dueAt: addDays(at, this.paymentTermDays),
    };
    // The digits of the case number make the identifier unique per case; the journal maps it back.
    if (this.f.payee) invoice.paymentId = paymentIdOf(this.f.payee, Number(this.caseNumber.slice(this.caseNumber.lastIndexOf('-') + 1)), n);
    this.f.invoice = invoice;
    this.f.assessedAt = at;
    return {
      type: 'invoice_issued',
      summary: `Invoice ${invoice.id} for ${amount} RUB${invoice.paymentId ? `, payment identifier ${invoice.paymentId}` : ''}, due by ${invoice.dueAt.slice(0, 10)}`,
      data: { invoiceId: invoice.id, amount, dueAt: invoice.dueAt, ...(invoice.paymentId ? { paymentId: invoice.paymentId } : {}) },
    };
  }

  /** Nothing is owed any more: the open invoice is void. */
  settle(): void {
    this.f.invoice = null;
  }

  /** The citizen's own deadline does not run while the case is withdrawn. */
  postponeInvoice(byMs: number): void {
    if (this.f.invoice) this.f.invoice.dueAt = new Date(Date.parse(this.f.invoice.dueAt) + byMs).toISOString();
  }

  /**
   * A payment from the gateway: `applied` to the open invoice when it matches and the case
   * waits for it, else recorded to be refunded; a transaction seen before changes nothing.
   */
  receive(p: Payment, awaitingPayment: boolean, at: string): { applied: boolean; entry: EntryDraft } | null {
    if (this.f.transactions.includes(p.transactionId)) return null;
    this.f.transactions.push(p.transactionId);
    const invoice = this.f.invoice;
    if (!invoice || invoice.id !== p.invoiceId || p.amount !== invoice.amount || !awaitingPayment) {
      if (p.amount > 0) this.refund({ amount: p.amount, reason: 'payment_not_applied', appeal: null, transactionId: p.transactionId, orderedAt: at });
      return {
        applied: false,
        entry: {
          type: 'payment_not_applied',
          summary: `Payment ${p.transactionId} does not match an open invoice; to be refunded`,
          data: { invoiceId: p.invoiceId, amount: p.amount },
        },
      };
    }
    this.f.paid += p.amount;
    this.f.invoice = null;
    const receipt: Receipt = {
      invoiceId: invoice.id,
      paymentId: invoice.paymentId ?? null,
      amount: p.amount,
      transactionId: p.transactionId,
      paidAt: p.paidAt,
      receivedAt: at,
    };
    this.f.receipts = [...(this.f.receipts ?? []), receipt];
    return {
      applied: true,
      entry: { type: 'paid', summary: `Invoice ${p.invoiceId} paid: ${p.amount} RUB`, data: { invoiceId: p.invoiceId, amount: p.amount } },
    };
  }

  private refund(r: Omit<Refund, 'status'>): void {
    this.f.refunds = [...(this.f.refunds ?? []), { ...r, status: 'ordered' }];
  }

  /** The read model's `fee`: the duty, the open invoice, the receipts of payments and the refunds ordered. */
  view(): FeeView {
    const { amount, paid, invoice, receipts = [], refunds = [] } = this.f;
    return { amount, paid, invoice, receipts, refunds };
  }
}
