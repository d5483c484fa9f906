/**
 * What the controls a scenario lists ask for, in the words an auditor looks up. Only well-known clauses are
 * described; any other control is shown as written.
 */

export interface ControlDescription {
  framework: string;
  clause: string;
  title: string;
}

const catalog: Record<string, ControlDescription> = {
  'ISO27001:A.5.29': { framework: 'ISO/IEC 27001:2022', clause: 'A.5.29', title: 'Information security during disruption' },
  'ISO27001:A.5.30': { framework: 'ISO/IEC 27001:2022', clause: 'A.5.30', title: 'ICT readiness for business continuity' },
  'ISO27001:A.8.13': { framework: 'ISO/IEC 27001:2022', clause: 'A.8.13', title: 'Information backup' },
  'ISO27001:A.8.14': { framework: 'ISO/IEC 27001:2022', clause: 'A.8.14', title: 'Redundancy of information processing facilities' },
  'ISO22301:8.5': { framework: 'ISO 22301:2019', clause: '8.5', title: 'Exercise programme' },
  'SOC2:A1.2': { framework: 'SOC 2 (Trust Services Criteria)', clause: 'A1.2', title: 'Environmental protections, software, data backup and recovery infrastructure' },
  'SOC2:A1.3': { framework: 'SOC 2 (Trust Services Criteria)', clause: 'A1.3', title: 'Recovery plan procedures are tested' },
  'DORA:ART.11': { framework: 'DORA (EU) 2022/2554', clause: 'Art. 11', title: 'Response and recovery' },
  'DORA:ART.12': { framework: 'DORA (EU) 2022/2554', clause: 'Art. 12', title: 'Backup policies and procedures, restoration and recovery procedures and methods' },
  'DORA:ART.24': { framework: 'DORA (EU) 2022/2554', clause: 'Art. 24', title: 'General requirements for the performance of digital operational resilience testing' },
  'DORA:ART.25': { framework: 'DORA (EU) 2022/2554', clause: 'Art. 25', title: 'Testing of ICT tools and systems' },
  'DORA:ART.28': { framework: 'DORA (EU) 2022/2554', clause: 'Art. 28', title: 'ICT third-party risk, including exit strategies (Art. 28(8))' },
  'DORA:ART.28(8)': { framework: 'DORA (EU) 2022/2554', clause: 'Art. 28(8)', title: 'Exit strategies for ICT services supporting critical or important functions' },
  'DATAACT:ART.25': { framework: 'Data Act (EU) 2023/2854', clause: 'Art. 25', title: 'Contractual terms concerning switching' },
};

/** The description of a control written as `FRAMEWORK:CLAUSE` (case and spaces ignored), if known. */
export function describeControl(control: string): ControlDescription | undefined {
  const key = control.toUpperCase().replace(/\s+/g, '').replace(/^ISO\/IEC/, 'ISO').replace(/^ISO27001:(?!A\.)/, 'ISO27001:A.');
  return catalog[key];
}
