/**
 * Undo and redo: a stack of whole flow documents. Documents share untouched applets, so keeping
 * a few hundred of them costs little.
 */

import { useCallback, useReducer } from 'react';
import type { FlowDocument } from '../../../src/flows/types.ts';

const LIMIT = 200;

interface History {
  past: FlowDocument[];
  present: FlowDocument;
  future: FlowDocument[];
  /** The document as last saved, to tell whether there are unsaved changes. */
  saved: FlowDocument;
}

type Action =
  | { type: 'commit'; change: (doc: FlowDocument) => FlowDocument }
  | { type: 'undo' }
  | { type: 'redo' }
  | { type: 'reset'; doc: FlowDocument }
  | { type: 'saved'; doc: FlowDocument };

function reducer(state: History, action: Action): History {
  switch (action.type) {
    case 'commit': {
      const doc = action.change(state.present);
      // An edit that changed nothing (a drag back to the same spot) leaves no undo step.
      if (doc === state.present) return state;
      return {
        ...state,
        past: [...state.past, state.present].slice(-LIMIT),
        present: doc,
        future: [],
      };
    }
    case 'undo': {
      const previous = state.past[state.past.length - 1];
      if (!previous) return state;
      return {
        ...state,
        past: state.past.slice(0, -1),
        present: previous,
        future: [state.present, ...state.future],
      };
    }
    case 'redo': {
      const [next, ...rest] = state.future;
      if (!next) return state;
      return { ...state, past: [...state.past, state.present], present: next, future: rest };
    }
    case 'reset':
      return { past: [], present: action.doc, future: [], saved: action.doc };
    case 'saved':
      return { ...state, saved: action.doc };
  }
}

export interface FlowHistory {
  doc: FlowDocument;
  canUndo: boolean;
  canRedo: boolean;
  dirty: boolean;
  /** Applies an edit (a function of the current document) as one undoable step. */
  edit: (change: (doc: FlowDocument) => FlowDocument) => void;
  undo: () => void;
  redo: () => void;
  reset: (doc: FlowDocument) => void;
  markSaved: (doc: FlowDocument) => void;
}

export function useFlowHistory(initial: FlowDocument): FlowHistory {
  const [state, dispatch] = useReducer(reducer, initial, (doc) => ({
    past: [],
    present: doc,
    future: [],
    saved: doc,
  }));
  const edit = useCallback(
    (change: (doc: FlowDocument) => FlowDocument) => dispatch({ type: 'commit', change }),
    [],
  );
  return {
    doc: state.present,
    canUndo: state.past.length > 0,
    canRedo: state.future.length > 0,
    dirty: state.present !== state.saved,
    edit,
    undo: useCallback(() => dispatch({ type: 'undo' }), []),
    redo: useCallback(() => dispatch({ type: 'redo' }), []),
    reset: useCallback((doc: FlowDocument) => dispatch({ type: 'reset', doc }), []),
    markSaved: useCallback((doc: FlowDocument) => dispatch({ type: 'saved', doc }), []),
  };
}
