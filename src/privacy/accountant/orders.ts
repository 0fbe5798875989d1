/**
 * The Rényi orders at which the accountant tracks privacy loss. Conversion to (epsilon, delta) minimises over them,
 * so a denser grid gives a tighter epsilon; this one matches the density of the common RDP libraries:
 * 1.1, 1.2, ..., 10.9 (step 0.1), then 11, 12, ..., 63, then 64, 128, 256, 512 (156 orders). Small orders matter
 * for large epsilon budgets, large orders for many steps with much noise.
 */
function defaultOrders(): number[] {
  const orders: number[] = [];
  // Built from integers so that 1.1, 1.2, ... are the nearest doubles, not accumulated sums.
  for (let tenths = 11; tenths <= 109; tenths++) orders.push(tenths / 10);
  for (let order = 11; order <= 63; order++) orders.push(order);
  orders.push(64, 128, 256, 512);
  return orders;
}

export const DEFAULT_ORDERS: readonly number[] = Object.freeze(defaultOrders());
