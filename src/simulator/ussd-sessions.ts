/** The USSD sessions the simulator keeps open, apart from their handling so that the context can hold them. */
export type UssdCommandType = 'menu' | 'input' | 'notify';

export interface UssdCommand {
  head: Record<string, string>;
  type: UssdCommandType;
  title?: string;
  options: { index: string; subtitle: string }[];
  content?: string;
}

export interface UssdSession {
  msisdn: string;
  shortCode: string;
  owner: string;
  profileId: string;
  openedBy: 'user' | 'partner';
  open: boolean;
  /** What the handset shows now and what the subscriber may answer. */
  awaiting: 'menu' | 'input' | 'nothing';
  pages: string[];
  page: number;
  indexes: string[];
}

/** Open USSD sessions by subscriber. */
export class UssdSessions {
  readonly byMsisdn = new Map<string, UssdSession>();
  private owners = 0;
  newOwner(): string {
    this.owners++;
    return `10.0.0.${(this.owners % 250) + 1}`;
  }
}
