import { RuleViolationError } from '@app/core';

export class UnknownSupplierFilterError extends RuleViolationError {
  readonly code = 'CATALOG.SUPPLIER_NOT_FOUND';
  constructor(supplierCode: string) {
    super(`There is no supplier ${supplierCode}.`, { field: 'supplier' });
  }
}
