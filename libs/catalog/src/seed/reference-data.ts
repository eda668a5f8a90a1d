/**
 * The reference data shipped with the product: three suppliers, their offices at real airports
 * (several countries and time zones, accents included on purpose), the ACRISS categories they
 * rent and the currencies they take. `npm run seed` upserts it; the embedded default loads it
 * on first start.
 */
export interface SupplierSeed {
  code: string;
  name: string;
  currencies: string[];
  carCategories: string[];
  offices: { code: string; active?: boolean }[];
}

export interface LocationSeed {
  code: string;
  name: string;
  city: string;
  country: string;
  timeZone: string;
}

export const LOCATIONS: LocationSeed[] = [
  { code: 'MAD-T4', name: 'Madrid-Barajas Airport, Terminal 4', city: 'Madrid', country: 'ES', timeZone: 'Europe/Madrid' },
  { code: 'BCN-T1', name: 'Barcelona-El Prat Airport, Terminal 1', city: 'Barcelona', country: 'ES', timeZone: 'Europe/Madrid' },
  { code: 'PMI-AP', name: 'Palma de Mallorca Airport', city: 'Palma', country: 'ES', timeZone: 'Europe/Madrid' },
  { code: 'LIS-AP', name: 'Lisbon Humberto Delgado Airport', city: 'Lisbon', country: 'PT', timeZone: 'Europe/Lisbon' },
  { code: 'OPO-AP', name: 'Porto Francisco Sá Carneiro Airport', city: 'Porto', country: 'PT', timeZone: 'Europe/Lisbon' },
  { code: 'LHR-T5', name: 'London Heathrow Airport, Terminal 5', city: 'London', country: 'GB', timeZone: 'Europe/London' },
  { code: 'MAN-AP', name: 'Manchester Airport', city: 'Manchester', country: 'GB', timeZone: 'Europe/London' },
  { code: 'CDG-T2', name: 'Paris Charles de Gaulle Airport, Terminal 2', city: 'Paris', country: 'FR', timeZone: 'Europe/Paris' },
  { code: 'NCE-AP', name: "Nice Côte d'Azur Airport", city: 'Nice', country: 'FR', timeZone: 'Europe/Paris' },
  { code: 'ZRH-AP', name: 'Zürich Airport', city: 'Zürich', country: 'CH', timeZone: 'Europe/Zurich' },
  { code: 'MUC-AP', name: 'Munich Airport', city: 'München', country: 'DE', timeZone: 'Europe/Berlin' },
  { code: 'FRA-AP', name: 'Frankfurt Airport', city: 'Frankfurt am Main', country: 'DE', timeZone: 'Europe/Berlin' },
  { code: 'WAW-AP', name: 'Warsaw Chopin Airport', city: 'Warszawa', country: 'PL', timeZone: 'Europe/Warsaw' },
  { code: 'LCJ-AP', name: 'Łódź Władysław Reymont Airport', city: 'Łódź', country: 'PL', timeZone: 'Europe/Warsaw' },
  { code: 'JFK-T4', name: 'New York JFK Airport, Terminal 4', city: 'New York', country: 'US', timeZone: 'America/New_York' },
  { code: 'MIA-AP', name: 'Miami International Airport', city: 'Miami', country: 'US', timeZone: 'America/New_York' },
  { code: 'LAX-AP', name: 'Los Angeles International Airport', city: 'Los Angeles', country: 'US', timeZone: 'America/Los_Angeles' },
  { code: 'GRU-AP', name: 'São Paulo/Guarulhos International Airport', city: 'São Paulo', country: 'BR', timeZone: 'America/Sao_Paulo' },
];

export const CAR_CATEGORIES: { code: string; description: string }[] = [
  { code: 'MBMR', description: 'Mini, 2/4 doors, manual, air conditioning' },
  { code: 'ECMR', description: 'Economy, 2/4 doors, manual, air conditioning' },
  { code: 'EDMR', description: 'Economy, 4/5 doors, manual, air conditioning' },
  { code: 'CDMR', description: 'Compact, 4/5 doors, manual, air conditioning' },
  { code: 'CDAR', description: 'Compact, 4/5 doors, automatic, air conditioning' },
  { code: 'CWMR', description: 'Compact estate, manual, air conditioning' },
  { code: 'IDAR', description: 'Intermediate, 4/5 doors, automatic, air conditioning' },
  { code: 'SDAR', description: 'Standard, 4/5 doors, automatic, air conditioning' },
  { code: 'FDAR', description: 'Full size, 4/5 doors, automatic, air conditioning' },
  { code: 'PDAR', description: 'Premium, 4/5 doors, automatic, air conditioning' },
  { code: 'LDAR', description: 'Luxury, 4/5 doors, automatic, air conditioning' },
  { code: 'IFAR', description: 'Intermediate SUV, automatic, air conditioning' },
  { code: 'FFAR', description: 'Full size SUV, automatic, air conditioning' },
  { code: 'IVAR', description: 'Intermediate passenger van, automatic, air conditioning' },
];

export const SUPPLIERS: SupplierSeed[] = [
  {
    code: 'HERTZ',
    name: 'Hertz',
    currencies: ['EUR', 'GBP', 'USD', 'CHF', 'BRL'],
    carCategories: ['ECMR', 'EDMR', 'CDMR', 'CDAR', 'IDAR', 'SDAR', 'FDAR', 'PDAR', 'LDAR', 'IFAR', 'FFAR', 'IVAR'],
    offices: [
      { code: 'MAD-T4' }, { code: 'BCN-T1' }, { code: 'LHR-T5' }, { code: 'CDG-T2' }, { code: 'ZRH-AP' },
      { code: 'JFK-T4' }, { code: 'MIA-AP' }, { code: 'LAX-AP' }, { code: 'GRU-AP' },
      { code: 'MAN-AP', active: false },
    ],
  },
  {
    code: 'BUDGET',
    name: 'Budget',
    currencies: ['EUR', 'GBP', 'USD'],
    carCategories: ['ECMR', 'EDMR', 'CDMR', 'CDAR', 'IDAR', 'SDAR', 'FDAR', 'IFAR', 'FFAR', 'IVAR'],
    offices: [
      { code: 'MAD-T4' }, { code: 'BCN-T1' }, { code: 'PMI-AP' }, { code: 'LIS-AP' }, { code: 'LHR-T5' },
      { code: 'MAN-AP' }, { code: 'MUC-AP' }, { code: 'JFK-T4' }, { code: 'MIA-AP' },
      { code: 'OPO-AP', active: false },
    ],
  },
  {
    code: 'EUROPCAR',
    name: 'Europcar',
    currencies: ['EUR', 'GBP', 'CHF', 'PLN'],
    carCategories: ['MBMR', 'ECMR', 'EDMR', 'CDMR', 'CDAR', 'CWMR', 'IDAR', 'SDAR', 'PDAR', 'LDAR', 'IFAR'],
    offices: [
      { code: 'MAD-T4' }, { code: 'BCN-T1' }, { code: 'LIS-AP' }, { code: 'OPO-AP' }, { code: 'CDG-T2' },
      { code: 'NCE-AP' }, { code: 'FRA-AP' }, { code: 'MUC-AP' }, { code: 'WAW-AP' }, { code: 'LCJ-AP' },
      { code: 'ZRH-AP' }, { code: 'LHR-T5' },
      { code: 'PMI-AP', active: false },
    ],
  },
];
