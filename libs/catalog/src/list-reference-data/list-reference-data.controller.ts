import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import { ProblemDetails } from '@app/core';
import { CatalogRepository, CatalogSnapshot } from '../catalog.repository';
import { UnknownSupplierFilterError } from '../catalog.errors';

export class SupplierFilterQuery {
  @ApiPropertyOptional({ example: 'HERTZ', description: 'Only what this supplier offers.' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,16}$/, { context: { code: 'CATALOG.SUPPLIER_INVALID' } })
  supplier?: string;
}

export class SupplierResponse {
  @ApiProperty({ example: 'HERTZ' }) code!: string;
  @ApiProperty({ example: 'Hertz' }) name!: string;
  @ApiProperty({ example: true }) active!: boolean;
  @ApiProperty({ example: ['EUR', 'GBP', 'USD'] }) currencies!: string[];
}

export class OfficeResponse {
  @ApiProperty({ example: 'MAD-T4' }) code!: string;
  @ApiProperty({ example: 'HERTZ' }) supplier_code!: string;
  @ApiProperty({ example: 'Madrid-Barajas Airport, Terminal 4' }) name!: string;
  @ApiProperty({ example: 'Madrid' }) city!: string;
  @ApiProperty({ example: 'ES' }) country!: string;
  @ApiProperty({ example: 'Europe/Madrid' }) time_zone!: string;
  @ApiProperty({ example: true }) active!: boolean;
}

export class CarCategoryResponse {
  @ApiProperty({ example: 'CDMR', description: 'ACRISS code' }) code!: string;
  @ApiProperty({ example: 'Compact, 4/5 doors, manual, air conditioning' }) description!: string;
}

/** Reference data for the frontend's forms: reads straight from the cached catalog. */
@ApiTags('reference data')
@Controller()
export class ListReferenceDataController {
  constructor(private readonly catalog: CatalogRepository) {}

  @Get('suppliers')
  @ApiOperation({ summary: 'Suppliers we book with, and the currencies each accepts.' })
  @ApiOkResponse({ type: [SupplierResponse] })
  async suppliers(): Promise<SupplierResponse[]> {
    const catalog = await this.catalog.snapshot();
    return catalog.listSuppliers().map((supplier) => ({
      code: supplier.code,
      name: supplier.name,
      active: supplier.active,
      currencies: catalog.currenciesOf(supplier.code),
    }));
  }

  @Get('offices')
  @ApiOperation({ summary: 'Offices, optionally of one supplier; `at` times are in each office\'s time zone.' })
  @ApiOkResponse({ type: [OfficeResponse] })
  @ApiUnprocessableEntityResponse({ type: ProblemDetails, description: 'Unknown supplier.' })
  async offices(@Query() query: SupplierFilterQuery): Promise<OfficeResponse[]> {
    const catalog = await this.catalog.snapshot();
    return catalog.listOffices(supplierFilter(catalog, query)).map((office) => ({
      code: office.code,
      supplier_code: office.supplierCode,
      name: office.name,
      city: office.city,
      country: office.country,
      time_zone: office.timeZone,
      active: office.active,
    }));
  }

  @Get('car-categories')
  @ApiOperation({ summary: 'ACRISS car categories, optionally those one supplier offers.' })
  @ApiOkResponse({ type: [CarCategoryResponse] })
  @ApiUnprocessableEntityResponse({ type: ProblemDetails, description: 'Unknown supplier.' })
  async carCategories(@Query() query: SupplierFilterQuery): Promise<CarCategoryResponse[]> {
    const catalog = await this.catalog.snapshot();
    return catalog
      .listCarCategories(supplierFilter(catalog, query))
      .map((category) => ({ code: category.code, description: category.description }));
  }
}

function supplierFilter(catalog: CatalogSnapshot, query: SupplierFilterQuery): string | undefined {
  if (query.supplier === undefined) return undefined;
  const code = query.supplier.toUpperCase();
  if (!catalog.supplier(code)) throw new UnknownSupplierFilterError(code);
  return code;
}
