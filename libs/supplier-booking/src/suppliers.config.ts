/** Where and how to reach each supplier (SUPPLIER_* variables). */
export interface SuppliersConfig {
  timeoutMs: number;
  hertz: { baseUrl: string; user: string; password: string };
  budget: { baseUrl: string; apiKey: string };
  europcar: { baseUrl: string; apiKey: string };
}
