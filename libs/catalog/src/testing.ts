// The reference data the seed writes, for tests that pick offices and suppliers from it; not for other libs.
export { LOCATIONS, SUPPLIERS } from './seed/reference-data';
