/**
 * The sample data of the tabular project template: a synthetic customer table of a subscription business spread over
 * four regional branches, written as CSV when `flotilla new` creates the project (so nothing is downloaded and the
 * user sees the exact file the run reads). Each branch serves a different mix of customers (covariate shift), and
 * every customer churns under one shared logistic model: short tenure, month-to-month contracts, many support calls,
 * high charges and paper cheques raise the odds. About a third churn (32% with the template's seed), so a model has
 * to beat a majority-class baseline of 68%; the template's federated MLP reaches about 0.78 (the draw is noisy, so no
 * model gets near 1).
 */
import { Rng } from '../../core/index.js';

interface Branch {
  readonly region: string;
  readonly customers: number;
  /** Mean tenure in months of the branch's customers. */
  readonly tenure: number;
  /** Share of month-to-month, one-year and two-year contracts. */
  readonly contracts: readonly [number, number, number];
  readonly chequeShare: number;
}

const BRANCHES: readonly Branch[] = [
  { region: 'north', customers: 700, tenure: 30, contracts: [0.45, 0.3, 0.25], chequeShare: 0.1 },
  { region: 'south', customers: 550, tenure: 18, contracts: [0.7, 0.2, 0.1], chequeShare: 0.3 },
  { region: 'east', customers: 500, tenure: 40, contracts: [0.35, 0.3, 0.35], chequeShare: 0.15 },
  { region: 'west', customers: 650, tenure: 24, contracts: [0.55, 0.25, 0.2], chequeShare: 0.2 },
];

const CONTRACTS = ['month-to-month', 'one-year', 'two-year'] as const;
/** Log-odds change of each contract, in CONTRACTS order. */
const CONTRACT_EFFECT = [0, -1.4, -2.8] as const;

export const SAMPLE_HEADER =
  'customer_id,region,tenure_months,monthly_charge,support_calls,contract,payment,churned';

function pick<T>(rng: Rng, values: readonly T[], weights: readonly number[]): T {
  let u = rng.next() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < values.length; i++) {
    u -= weights[i]!;
    if (u < 0) return values[i]!;
  }
  return values[values.length - 1]!;
}

/** A Poisson draw by inversion (small means only). */
function poisson(rng: Rng, mean: number): number {
  let k = 0;
  let p = Math.exp(-mean);
  let cdf = p;
  const u = rng.next();
  while (u > cdf && k < 30) {
    k += 1;
    p *= mean / k;
    cdf += p;
  }
  return k;
}

function customerRow(rng: Rng, branch: Branch, id: number): string {
  const tenure = Math.min(72, 1 + Math.floor(-Math.log(1 - rng.next()) * branch.tenure));
  const contract = pick(rng, [0, 1, 2] as const, branch.contracts);
  const payment = rng.next() < branch.chequeShare ? 'cheque' : rng.next() < 0.6 ? 'card' : 'bank-transfer';
  const charge = Math.max(15, 65 + 25 * rng.normal());
  const calls = poisson(rng, contract === 0 ? 2 : 1);
  const logOdds =
    0.2 -
    0.045 * tenure +
    0.02 * (charge - 65) +
    0.4 * calls +
    CONTRACT_EFFECT[contract] +
    (payment === 'cheque' ? 0.6 : 0);
  const churned = rng.next() < 1 / (1 + Math.exp(-logOdds));
  // A few charges are missing, as in real exports; the schema's imputation fills them.
  const chargeText = rng.next() < 0.03 ? '' : charge.toFixed(2);
  return [
    `C${String(id).padStart(5, '0')}`,
    branch.region,
    tenure,
    chargeText,
    calls,
    CONTRACTS[contract],
    payment,
    churned ? 'yes' : 'no',
  ].join(',');
}

/** The whole sample table as CSV text (header and one line per customer), the same for the same seed. */
export function sampleCustomersCsv(seed: number): string {
  const root = new Rng(seed);
  const lines = [SAMPLE_HEADER];
  let id = 1;
  for (const branch of BRANCHES) {
    const rng = root.split(branch.region);
    for (let i = 0; i < branch.customers; i++) lines.push(customerRow(rng, branch, id++));
  }
  return `${lines.join('\n')}\n`;
}
