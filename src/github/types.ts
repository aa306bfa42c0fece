/**
 * The issue sync's contract, generic over what it syncs: drift findings, rotation findings, … Each
 * group becomes one issue, found again by its marker, written only when its content changed.
 */
export interface IssueItem {
  /** Stable id (a finding's fingerprint). */
  id: string;
  /** One line of Markdown for comments. */
  line: string;
  /** The dashboard's line: without values that change, so a changed value rewrites one issue, not the dashboard too. */
  summary?: string;
}

export interface IssueGroup {
  /** Stable across runs: names the issue in its marker (e.g. the CI's strongest key). */
  key: string;
  title: string;
  /** Markdown body, without the marker. */
  body: string;
  /** Labels beyond the sync's base labels (a severity). */
  labels: string[];
  /** GitHub logins to assign; set on create, and on update when not empty (a person's own assignments are otherwise kept). */
  assignees?: string[];
  items: IssueItem[];
}

export interface LabelSpec {
  name: string;
  color: string;
  description: string;
}

export interface SyncSpec {
  /** Marker namespace: a sync only touches issues of its own namespace. */
  namespace: string;
  /** Labels every issue of this sync carries; the first is the one issues are listed by. */
  baseLabels: string[];
  /** How to create labels that are missing. */
  labelSpecs: LabelSpec[];
  groups: IssueGroup[];
  /** Group keys not evaluated this time: their open issues are left open, whatever else. */
  held: ReadonlySet<string>;
  dashboard?: {
    title: string;
    /** Markdown above the list; `deferred` is how many writes waited for the next run. */
    intro: (counts: { groups: number; items: number; deferred: number }) => string;
  };
  texts?: {
    resolved?: (key: string) => string;
    reopened?: (group: IssueGroup) => string;
    added?: (group: IssueGroup, items: IssueItem[]) => string;
  };
}

/** An issue as listed: what the sync reads of it. */
export interface ListedIssue {
  number: number;
  title: string;
  body: string;
  state: "open" | "closed";
  stateReason: string | null;
  labels: string[];
  url: string;
}

export type SyncAction =
  | { op: "create-label"; label: LabelSpec }
  | { op: "create"; key: string; title: string; body: string; labels: string[]; assignees?: string[] }
  | { op: "update"; key: string; number: number; title: string; body: string; labels: string[]; reopen: boolean; assignees?: string[] }
  | { op: "comment"; key: string; number: number; body: string }
  | { op: "close"; key: string; number: number; reason: "completed" | "duplicate"; comment?: string };

export interface SyncResult {
  /** Issue numbers by group key after the run (created ones included; 0 in a dry run). */
  issues: Record<string, number>;
  created: number;
  updated: number;
  commented: number;
  closed: number;
  reopened: number;
  /** Writes that the secondary limits pushed to the next run. */
  deferred: number;
  /** Items of groups whose issue a person closed as not planned: acknowledged, not raised again. */
  acknowledged: string[];
  /** Every write the run made, or in a dry run would have made. */
  actions: SyncAction[];
  /** Requests sent, by kind. */
  requests: { reads: number; writes: number };
}
