// Integration and conformance tests start processes and real clients: give each test 2 minutes.
import { jest } from '@jest/globals';

jest.setTimeout(120_000);
