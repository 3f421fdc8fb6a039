document.getElementById('app')!.textContent = 'train page (placeholder)';
