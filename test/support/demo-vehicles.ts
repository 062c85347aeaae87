/** The demo vehicles of db/seed/vehicles.json: alice owns the first two, bob the others (POLO annulled). */
export const LADA = 'XTA210990Y2766389';
export const SOLARIS = 'Z94CT41DBFR123456';
export const HONDA = '1HGCM82633A004352';
export const POLO = 'XW8ZZZ61ZEG000123';
