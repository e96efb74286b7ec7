/**
 * Types for the parts of the `smpp` package (0.5.1, farhadi/node-smpp, CommonJS, untyped)
 * that callflow uses. Fields of a PDU are dynamic: the mandatory parameters of its command,
 * the TLVs by registered name, and unknown TLVs by numeric tag as Buffers.
 */
declare module 'smpp' {
  import type { EventEmitter } from 'node:events';
  import type { Server as NetServer, Socket } from 'node:net';

  export interface PDU {
    command: string;
    command_id: number;
    command_length: number;
    command_status: number;
    sequence_number: number;
    [field: string]: unknown;
    isResponse(): boolean;
    response(options?: Record<string, unknown>): PDU;
    toBuffer(): Buffer;
  }

  export interface Session extends EventEmitter {
    socket: Socket;
    /** Writes the PDU; assigns sequence_number to a request. False when the socket is not writable. */
    send(
      pdu: PDU,
      responseCallback?: (resp: PDU) => void,
      sendCallback?: (pdu: PDU) => void,
    ): boolean;
    pause(): void;
    resume(): void;
    close(callback?: () => void): void;
    destroy(callback?: () => void): void;
    bind_transceiver(
      options: Record<string, unknown>,
      responseCallback?: (resp: PDU) => void,
    ): boolean;
    enquire_link(options: Record<string, unknown>, responseCallback?: (resp: PDU) => void): boolean;
    unbind(options: Record<string, unknown>, responseCallback?: (resp: PDU) => void): boolean;
    deliver_sm(options: Record<string, unknown>, responseCallback?: (resp: PDU) => void): boolean;
  }

  export interface Server extends NetServer {
    sessions: Session[];
  }

  export interface TlvType {
    read(buffer: Buffer, offset: number, length: number): unknown;
    write(value: unknown, buffer: Buffer, offset: number): void;
    size(value: unknown): number;
  }

  export interface ConnectOptions {
    host: string;
    port: number;
    tls?: boolean;
    [option: string]: unknown;
  }

  interface Smpp {
    connect(options: ConnectOptions, listener?: () => void): Session;
    createServer(options: Record<string, unknown>, listener: (session: Session) => void): Server;
    addTLV(name: string, options: { id: number; type: TlvType }): void;
    PDU: new (command: string, options?: Record<string, unknown>) => PDU;
    types: { tlv: { string: TlvType; cstring: TlvType; buffer: TlvType; int8: TlvType } };
    tlvs: Record<string, { id: number; type: TlvType }>;
    /** The package's own GSM 03.38 codec (table 0 = default alphabet). */
    gsmCoder: { decode(septets: Buffer, table?: number): string };
  }

  const smpp: Smpp;
  export default smpp;
}
